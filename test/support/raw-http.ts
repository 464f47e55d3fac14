import { type Socket, connect } from "node:net";

/** A response as read off the socket. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

export interface RawConnection {
  socket: Socket;
  /** Resolves with the first complete response (Content-Length framed); rejects if the connection closes first. */
  response: Promise<RawResponse>;
  /** Resolves when the server has closed the connection, with every byte it sent. */
  closed: Promise<string>;
  /** Bytes written with {@link send} so far. */
  sent(): number;
  /** Writes, resolving once the socket can take more (or at once if it is closed). */
  send(data: string | Buffer): Promise<void>;
}

/**
 * A client on a bare TCP socket, for what an HTTP client library would not do: send
 * malformed or oversized requests, stall mid-request, or keep sending after the answer.
 */
export function openRaw(baseUrl: string): RawConnection {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let received = "";
  let sent = 0;
  let settleResponse: { resolve: (r: RawResponse) => void; reject: (e: Error) => void } | null = null;
  const response = new Promise<RawResponse>((resolve, reject) => {
    settleResponse = { resolve, reject };
  });
  response.catch(() => {}); // rejects only for a caller that awaits it
  const closed = new Promise<string>((resolve) => socket.once("close", () => resolve(received)));
  const tryParse = () => {
    const end = received.indexOf("\r\n\r\n");
    if (end < 0 || settleResponse === null) return;
    const [statusLine = "", ...lines] = received.slice(0, end).split("\r\n");
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    if (received.length < end + 4 + length) return;
    settleResponse.resolve({ status: Number(statusLine.split(" ")[1]), headers, body: received.slice(end + 4, end + 4 + length) });
    settleResponse = null;
  };
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
    tryParse();
  });
  socket.on("error", () => {}); // a reset after the answer is expected in these tests
  socket.once("close", () => settleResponse?.reject(new Error(`connection closed without a complete response: ${JSON.stringify(received.slice(0, 200))}`)));
  return {
    socket,
    response,
    closed,
    sent: () => sent,
    send(data) {
      if (socket.destroyed || !socket.writable) return Promise.resolve();
      sent += Buffer.byteLength(data);
      return new Promise<void>((resolve) => {
        if (socket.write(data)) resolve();
        else {
          const done = () => {
            socket.off("drain", done);
            socket.off("close", done);
            resolve();
          };
          socket.once("drain", done);
          socket.once("close", done);
        }
      });
    },
  };
}
