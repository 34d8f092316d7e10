// The policy pack's entry: the compiled pack (npm run build). Sources: policy/pack.ts.
module.exports = require("../dist/pulumi/policy/pack.js");
