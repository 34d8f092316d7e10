/**
 * IAM and KMS key policies evaluated as AWS decides a request, by @cloud-copilot/iam-simulate:
 * identity policies, the resource's policy (a key policy for KMS), conditions and cross-account
 * rules. A policy the simulator rejects (a malformed document, an unknown action or context key)
 * fails the test instead of reading as a denial.
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";

export type Verdict = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export type PolicyDocument = Record<string, any>;

export interface AccessRequest {
  /** An IAM principal ARN, or a service principal (`events.amazonaws.com`). */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** Request context keys (kms:ViaService, aws:SourceArn, ...). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export interface PoliciesInForce {
  /** The principal's identity policies. */
  readonly identity?: readonly PolicyDocument[];
  /** The resource's own policy: a key policy, a topic policy; none for a secret without one. */
  readonly resource?: PolicyDocument;
}

/** The account an ARN names (its fifth field). */
export function accountOfArn(arn: string): string {
  return arn.split(":")[4] ?? "";
}

export async function decide(request: AccessRequest, policies: PoliciesInForce): Promise<Verdict> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: accountOfArn(request.resource) },
        contextVariables: { ...(request.context ?? {}) },
      },
      identityPolicies: (policies.identity ?? []).map((policy, i) => ({ name: `identity-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policies.resource,
    },
    {},
  );
  if (result.resultType === "error")
    throw new Error(`the simulator refused the request: ${JSON.stringify(result.errors, null, 2)}`);
  // A context key the simulator does not know for the action is dropped, and a condition on it
  // then reads as absent: a Deny would pass for the wrong reason. Fail instead.
  const runs = result.resultType === "single" ? [result.result] : result.results;
  const ignored = [...new Set(runs.flatMap((r) => r.ignoredContextKeys ?? []))];
  if (ignored.length > 0)
    throw new Error(`the simulator ignored the context keys ${ignored.join(", ")} of ${request.action}`);
  return result.overallResult as Verdict;
}
