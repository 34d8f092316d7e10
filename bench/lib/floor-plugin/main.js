// The floor of a Node provider plugin, for the benches (../floor-plugins.ts builds it): the Pulumi SDK's
// provider server (what the migration plugin is served by, infra/migrations/plugin/main.ts) with a
// provider that does nothing: check takes the inputs as they are, diff finds no change, create
// records an id and no output, read gives back what it is given. Bundled with its code cache as `npm run build` does the
// migration plugin's (infra/startup/bundle-plugin.ts), and ./start.js runs it as
// infra/migrations/plugin/start.ts runs that one: what is left is what any such plugin costs.
const { main } = require("@pulumi/pulumi/provider");

void main(
  {
    version: "0.0.1",
    check: async (_urn, _olds, news) => ({ inputs: news }),
    diff: async () => ({ changes: false }),
    create: async () => ({ id: "nothing", outs: {} }),
    read: async (id, _urn, props) => ({ id, props }),
    delete: async () => {},
  },
  process.argv.slice(2),
);
