/**
 * Set at build time: true in the development build (`npm run dev`, the
 * tests, the benchmarks), false in what `wrangler deploy` uploads
 * (wrangler.toml [define]). The development sign-in provider exists only in
 * the former, so no setting can turn it on in production.
 */
declare const __DEV_BUILD__: boolean;
