/**
 * Log lines to stdout, batched. On Linux a write to stdout (a file, a pipe or a terminal) is synchronous, so one
 * `console.log` per line is one system call on the request's path. Lines are gathered and written together once the
 * current turn of the event loop is over (or when the batch grows large), and whatever is left is written
 * synchronously when the process exits, so a line logged just before exit is not lost.
 */
const MAX_BATCH_BYTES = 64 * 1024;

export function createStdoutWriter(out: { write(chunk: string): unknown } = process.stdout): (line: string) => void {
  let batch = "";
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (batch === "") return;
    const chunk = batch;
    batch = "";
    out.write(chunk);
  };
  process.once("exit", flush);
  return (line) => {
    batch += `${line}\n`;
    if (batch.length >= MAX_BATCH_BYTES) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
}
