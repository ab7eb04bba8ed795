import { connect } from 'node:net';

/** One QMP command: `execute` and its arguments, as QEMU's machine protocol takes them. */
export interface QmpCommand {
  readonly execute: string;
  readonly arguments?: Readonly<Record<string, unknown>>;
}

/**
 * Sends commands in order over QEMU's QMP socket (after the capabilities handshake) and returns
 * each one's "return" value. A command QEMU answers with an error rejects with its description;
 * the socket is closed once the last reply arrives, or when QEMU closes it after `quit`.
 */
export function qmpCommands(
  socketPath: string,
  commands: readonly QmpCommand[],
  timeoutMs: number,
): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const replies: unknown[] = [];
    const handshake: QmpCommand = { execute: 'qmp_capabilities' };
    const queue: QmpCommand[] = [handshake, ...commands];
    let greeted = false;
    let buffer = '';
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(replies);
    };
    const timer = setTimeout(() => finish(new Error(`QMP ${socketPath}: no reply within ${timeoutMs} ms`)), timeoutMs);
    const sendNext = (): void => {
      const next = queue[0];
      if (next) socket.write(`${JSON.stringify(next)}\n`);
    };
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      buffer += data;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as {
          QMP?: unknown;
          return?: unknown;
          error?: { desc?: string };
          event?: string;
        };
        if (message.event) continue;
        if (message.QMP) {
          greeted = true;
          sendNext();
          continue;
        }
        const command = queue.shift();
        if (message.error) {
          finish(new Error(`QMP ${command?.execute}: ${message.error.desc ?? 'error'}`));
          return;
        }
        // The handshake's reply is not one of the caller's.
        if (command !== handshake) replies.push(message.return);
        if (queue.length === 0) finish();
        else sendNext();
      }
    });
    socket.on('error', (error) => finish(new Error(`QMP ${socketPath}: ${error.message}`)));
    socket.on('close', () => {
      // QEMU closes the socket on quit, possibly before its reply to it.
      const quitting = greeted && queue.length === 1 && queue[0]!.execute === 'quit';
      if (quitting) replies.push({});
      finish(quitting ? undefined : new Error(`QMP ${socketPath}: closed by QEMU before replying`));
    });
  });
}
