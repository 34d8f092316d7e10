/**
 * Staging rehearses prod's topology: what only prod ran before (Multi-AZ, the RDS Proxy, the
 * stack's customer-managed key, rotation by Secrets Manager) also runs on staging, at smaller
 * sizes, so that the stack order dev -> test -> staging -> prod rehearses every path prod takes.
 */
import { type Level, ofType, type Rule, TYPES, type Violation } from "../resources";
import { isReplica } from "./rds";

export const stagingRehearsesProd: Rule = {
  name: "staging-rehearses-prod",
  description:
    "On staging, the RDS instance has prod's topology: Multi-AZ, an RDS Proxy in front of it, storage encrypted with the stack's KMS key, and the role secrets rotated.",
  scope: "stack",
  level: (environment): Level => (environment === "staging" ? "mandatory" : "advisory"),
  check(resources, { environment }) {
    if (environment !== "staging") return [];
    const out: Violation[] = [];
    const rotations = ofType(resources, TYPES.secretRotation).length;
    const proxies = ofType(resources, TYPES.rdsProxy).length;
    // Read replicas are single-AZ and, in the instance's region, encrypted with RDS's default for
    // a replica of an encrypted source: the primary carries the topology.
    for (const instance of ofType(resources, TYPES.rdsInstance).filter((r) => !isReplica(r))) {
      const missing = [
        ...(instance.props.multiAz === true ? [] : ["Multi-AZ (precog:rds.multiAz)"]),
        ...(proxies > 0 ? [] : ["an RDS Proxy (precog:rds.proxy)"]),
        ...(instance.props.kmsKeyId ? [] : ["the stack's KMS key"]),
        ...(rotations > 0 ? [] : ["rotated role secrets (precog:rotation.days)"]),
      ];
      if (missing.length > 0)
        out.push({
          resource: instance.name,
          message: `staging does not rehearse prod's topology; it lacks ${missing.join(", ")}`,
        });
    }
    return out;
  },
};
