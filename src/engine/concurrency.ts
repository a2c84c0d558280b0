/**
 * Runs `work` on every item with at most `limit` running at once, and returns the
 * results in the items' order. Decoding images is mostly waiting (the file read and
 * the decoder run outside this thread), so a few in flight keep both cores busy.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
