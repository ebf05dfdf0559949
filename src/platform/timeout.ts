/**
 * Waits for `work` at most `ms` milliseconds, then rejects with `onTimeout()`.
 * For clients that take no AbortSignal (arctic, D1); the abandoned work is
 * cancelled by the runtime when the request ends.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  // The loser of the race settles later; nobody is listening by then.
  work.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | null = null;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
