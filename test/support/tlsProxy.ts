// A real TLS terminator in front of a test server: Debian's stunnel (installed by
// scripts/setup-tools.sh) with a CA and a server certificate generated here with openssl, as an
// organisation's reverse proxy with an internal CA would be.
import { execFileSync, spawn } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "./llamaServer";

export interface TestPki {
  readonly dir: string;
  /** The CA's certificate (what slm.engine.caFile points at). */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The server's public-key pin: base64 SHA-256 of its SubjectPublicKeyInfo. */
  readonly pin: string;
}

/** A CA and a certificate for 127.0.0.1 / localhost signed by it (EC P-256, valid two days). */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "slm-pki-"));
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=SLM Test CA");
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  fs.writeFileSync(file("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf");
  const spki = new X509Certificate(fs.readFileSync(file("server.pem"))).publicKey.export({ type: "spki", format: "der" });
  return { dir, caFile: file("ca.pem"), certFile: file("server.pem"), keyFile: file("server.key"), pin: createHash("sha256").update(spki).digest("base64") };
}

export interface RunningTlsProxy {
  readonly url: string;
  stop(): Promise<void>;
}

/** stunnel on 127.0.0.1 terminating TLS with `pki`'s certificate and forwarding to `targetPort`. */
export async function startTlsProxy(pki: TestPki, targetPort: number): Promise<RunningTlsProxy> {
  const port = await freePort();
  const config = path.join(pki.dir, `stunnel-${port}.conf`);
  fs.writeFileSync(
    config,
    ["foreground = yes", "pid =", "debug = 4", `[llama]`, `accept = 127.0.0.1:${port}`, `connect = 127.0.0.1:${targetPort}`, `cert = ${pki.certFile}`, `key = ${pki.keyFile}`, ""].join("\n"),
  );
  const child = spawn("stunnel4", [config], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`stunnel exited: ${output}`);
    const listening = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (listening) break;
    if (Date.now() > deadline) throw new Error(`stunnel did not listen on ${port}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, "SIGTERM");
      await exited;
    },
  };
}
