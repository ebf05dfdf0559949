-- The browser's User-Agent at sign-in (at most 512 characters), next to the
-- coarse `device` label: "Your devices" names browser and system from it in
-- the viewer's browser (bowser, public/devices.js). Sessions created before
-- this migration keep only their label.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
