/**
 * The engine process: started by ProcessEngine with `child_process.fork`, it owns node-llama-cpp,
 * the models, their contexts and KV caches, and serves the engine interface over IPC. When it
 * crashes (a llama.cpp assertion, out of memory, a kill), only this process dies.
 */
import * as os from "node:os";
import type { Engine, RequestOptions } from "../api";
import { LocalEngine } from "../local/localEngine";
import { disposeSharedLlamas } from "../local/llamaRuntime";
import { ModelProblem } from "../../models/problems";
import type { ModelProblemCode } from "../types";
import { HEARTBEAT_MS, PROTOCOL_VERSION, serializeError, type FromEngine, type ToEngine } from "./protocol";

// Yield to the editor: every thread llama.cpp starts from here inherits this niceness. Nice 5, not
// 10: at 10 a build or another busy program left the engine a tenth of a core, and completions ran
// out of their time budget (seen in the browser tests with a benchmark running beside them); the
// editor's own threads still win every wake-up against it.
const ENGINE_NICENESS = 5;
try {
  os.setPriority(ENGINE_NICENESS);
} catch {
  // Not allowed here (some containers): run at normal priority.
}

let engine: LocalEngine | undefined;
const inflight = new Map<number, AbortController>();
const stops = new Map<number, AbortController>();
const policyChecks = new Map<number, { resolve: (identities: readonly string[] | undefined) => void; reject: (error: Error) => void }>();
let nextCheckId = 1;

function send(message: FromEngine): void {
  if (process.connected) process.send?.(message);
}

process.on("message", (message: ToEngine) => {
  switch (message.type) {
    case "init":
      if (message.version !== PROTOCOL_VERSION || engine) return;
      engine = new LocalEngine({
        machine: message.machine,
        log: (level, text) => send({ type: "log", level, message: text }),
        checkModel: message.checkModel ? checkWithParent : undefined,
      });
      engine.onDidChangeState((state) => send({ type: "state", state }));
      return;
    case "call":
      void serve(message);
      return;
    case "abort":
      inflight.get(message.id)?.abort();
      return;
    case "stop":
      stops.get(message.id)?.abort();
      return;
    case "typing":
      engine?.noteTyping();
      return;
    case "checkModelDone": {
      const check = policyChecks.get(message.id);
      policyChecks.delete(message.id);
      if (!check) return;
      if (!message.error) check.resolve(message.identities);
      else if (message.error.name === "ModelProblem" && message.error.code) check.reject(new ModelProblem(message.error.code as ModelProblemCode, message.error.message));
      else check.reject(Object.assign(new Error(message.error.message), { name: message.error.name }));
      return;
    }
  }
});

async function serve(message: Extract<ToEngine, { type: "call" }>): Promise<void> {
  if (!engine) {
    send({ type: "error", id: message.id, error: { name: "Error", message: "The engine process was not initialised." } });
    return;
  }
  const controller = new AbortController();
  const stop = new AbortController();
  inflight.set(message.id, controller);
  stops.set(message.id, stop);
  const options: RequestOptions = { signal: controller.signal, stopSignal: stop.signal, onText: (text) => send({ type: "text", id: message.id, text }) };
  try {
    const value = await call(engine, message, options);
    send({ type: "result", id: message.id, value: value ?? null });
  } catch (error) {
    send({ type: "error", id: message.id, error: serializeError(error) });
  } finally {
    inflight.delete(message.id);
    stops.delete(message.id);
  }
}

function call(target: Engine, message: Extract<ToEngine, { type: "call" }>, options: RequestOptions): Promise<unknown> {
  switch (message.method) {
    case "configure":
      return target.configure(...message.args);
    case "setIdleUnload":
      target.setIdleUnload(...message.args);
      return Promise.resolve();
    case "reload":
      return target.reload();
    case "fill":
      return target.fill(message.args[0], options);
    case "chat":
      return target.chat(message.args[0], options);
    case "generate":
      return target.generate(message.args[0], options);
    case "tokenize":
      return target.tokenize(...message.args);
    case "detokenize":
      return target.detokenize(...message.args);
    case "laneFacts":
      return target.laneFacts(...message.args);
  }
}

function checkWithParent(files: readonly string[], signal: AbortSignal): Promise<readonly string[] | undefined> {
  const id = nextCheckId++;
  return new Promise<readonly string[] | undefined>((resolve, reject) => {
    policyChecks.set(id, { resolve, reject });
    signal.addEventListener("abort", () => {
      policyChecks.delete(id);
      send({ type: "checkModelAbort", id });
      reject(Object.assign(new Error("aborted"), { name: "AbortError" }));
    }, { once: true });
    send({ type: "checkModel", id, files });
  });
}

// The heartbeat stops when this process's thread is stuck (a chat template that never ends):
// the parent's watchdog then ends the process and says why.
setInterval(() => send({ type: "alive" }), HEARTBEAT_MS);

// Without the editor there is nothing to serve: free the models and go.
process.on("disconnect", () => {
  const stop = engine?.dispose().then(disposeSharedLlamas) ?? Promise.resolve();
  void Promise.race([stop, new Promise((resolve) => setTimeout(resolve, 2_000))]).finally(() => process.exit(0));
});

send({ type: "hello", version: PROTOCOL_VERSION, pid: process.pid });
