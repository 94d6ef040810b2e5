import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** Calls `onLine` for each line appended to the file, until the returned function is called. */
export function followFile(path: string, onLine: (line: string) => void): () => void {
  let offset = statSync(path).size;
  let partial = '';
  const read = () => {
    // The file may be gone when a test already removed its directory.
    const size = existsSync(path) ? statSync(path).size : 0;
    if (size <= offset) return;
    const buf = Buffer.alloc(size - offset);
    try {
      const fd = openSync(path, 'r');
      try {
        readSync(fd, buf, 0, buf.length, offset);
      } finally {
        closeSync(fd);
      }
    } catch {
      return;
    }
    offset = size;
    const parts = (partial + buf.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
  const timer = setInterval(read, 100);
  timer.unref();
  return () => {
    clearInterval(timer);
    read();
  };
}
