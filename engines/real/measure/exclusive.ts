let queue: Promise<unknown> = Promise.resolve();

/** Real measurements never overlap: each waits for the one before it, whoever calls. */
export function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}
