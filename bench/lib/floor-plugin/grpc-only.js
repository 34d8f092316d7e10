// The floor of a Node provider plugin without the Pulumi SDK, for the benches (../floor-plugins.ts):
// Node and grpc-js serving the engine's ResourceProvider service with no provider behind it, its
// messages as raw protobuf bytes (no generated code): Check takes the inputs as they are, Diff finds
// no change, Create records an id and no output, Read gives back its id and properties; CheckConfig and DiffConfig unimplemented, as the
// SDK's provider server leaves them (./main.js is the same provider on the SDK). Bundled and started
// with its code cache as ./main.js is: what a plugin that leaves the SDK out would still cost.
const grpc = require("@grpc/grpc-js");

/** Field `field` of the protobuf message `bytes` (length-delimited), or an empty buffer. */
function fieldOf(bytes, field) {
  let at = 0;
  const varint = () => {
    let value = 0;
    let shift = 0;
    let byte;
    do {
      byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  while (at < bytes.length) {
    const tag = varint();
    const type = tag & 7;
    if (type === 0) varint();
    else if (type === 1) at += 8;
    else if (type === 5) at += 4;
    else if (type === 2) {
      const length = varint();
      if (tag >>> 3 === field) return bytes.subarray(at, at + length);
      at += length;
    } else throw new Error(`wire type ${type} not handled`);
  }
  return Buffer.alloc(0);
}

/** A length-delimited field `field` (1 to 15: its tag is one byte) holding `bytes`. */
function message(field, bytes) {
  const length = [];
  let n = bytes.length;
  do {
    length.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...length]), bytes]);
}

const answers = {
  GetPluginInfo: () => message(1, Buffer.from("0.0.1")),
  // acceptSecrets, acceptResources, acceptOutputs: true.
  Configure: () => Buffer.from([0x08, 1, 0x18, 1, 0x20, 1]),
  // CheckResponse.inputs (1) = CheckRequest.news (3).
  Check: (request) => message(1, fieldOf(request, 3)),
  // DiffResponse.changes (4) = DIFF_NONE.
  Diff: () => Buffer.from([0x20, 1]),
  Create: () => message(1, Buffer.from("nothing")),
  // ReadResponse.id (1) and .properties (2) = ReadRequest.id (1) and .properties (3).
  Read: (request) => Buffer.concat([message(1, fieldOf(request, 1)), message(2, fieldOf(request, 3))]),
  Delete: () => Buffer.alloc(0),
  Cancel: () => Buffer.alloc(0),
};

const raw = (b) => b;
const service = {};
const implementation = {};
for (const [name, answer] of Object.entries(answers)) {
  service[name] = {
    path: `/pulumirpc.ResourceProvider/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: raw,
    responseDeserialize: raw,
  };
  implementation[name] = (call, callback) => callback(null, answer(call.request));
}

// As the SDK's provider server is made (its grpcChannelOptions: runtime/settings' maxRPCMessageSize).
const server = new grpc.Server({ "grpc.max_receive_message_length": 400 * 1024 * 1024 });
server.addService(service, implementation);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, port) => {
  if (e) throw e;
  console.log(String(port));
});
