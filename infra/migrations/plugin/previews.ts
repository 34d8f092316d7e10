/**
 * The previews of a create and an update. The plugin's Configure says it supports them
 * (./provider-config.ts), so in a preview the engine calls Create and Update with `preview` set,
 * and the plugin answers: on dev and test with the lint's warnings on what is pending
 * (./server.ts `migrationsPreviews`), which the diff leaves to previews there (./pending.ts). The
 * SDK's provider server does not read that flag (it would apply), so such a call is answered here
 * and never reaches it. The answer is what the engine makes of a preview itself for a provider
 * without previews: the inputs as the state, unknowns and secrets as they came, so that a saved
 * plan is what it was.
 */
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type { EngineLog } from "./engine-log";
import { migrationsPreviews } from "./server";

type Unary = (call: { request: unknown }, callback: (err: unknown, resp?: unknown) => void) => void;

/** Makes `impl` (the SDK's provider service) answer the previews of Create and Update here. */
export function servePreviews(impl: Record<string, Unary>, log: EngineLog): void {
  const previews = migrationsPreviews(log);
  const create = impl.create.bind(impl);
  impl.create = (call, callback) => {
    const req = call.request as provproto.CreateRequest;
    if (!req.getPreview()) return create(call, callback);
    answer(previews.create(req.getUrn(), plain(req.getProperties())), callback, () => {
      const resp = new provproto.CreateResponse();
      resp.setProperties(req.getProperties());
      return resp;
    });
  };
  const update = impl.update.bind(impl);
  impl.update = (call, callback) => {
    const req = call.request as provproto.UpdateRequest;
    if (!req.getPreview()) return update(call, callback);
    answer(previews.update(req.getUrn(), plain(req.getOlds()), plain(req.getNews())), callback, () => {
      const resp = new provproto.UpdateResponse();
      resp.setProperties(req.getNews());
      return resp;
    });
  };
}

function answer(done: Promise<void>, callback: (err: unknown, resp?: unknown) => void, response: () => unknown) {
  done.then(
    () => callback(null, response()),
    (e) => callback(e),
  );
}

/** The wire's values as JavaScript, secrets still marked (./server.ts unwraps them). */
function plain(s: { toJavaScript(): Record<string, unknown> } | undefined): Record<string, unknown> {
  return s ? s.toJavaScript() : {};
}
