/**
 * The IAM role Enhanced Monitoring publishes OS metrics with: assumed by RDS's monitoring service,
 * with AWS's managed policy for it and nothing else.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

export const ENHANCED_MONITORING_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole";

export function monitoringRole(name: string, tags: Readonly<Record<string, string>>, parent: pulumi.Resource) {
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      }),
      tags: { ...tags },
    },
    { parent },
  );
  const attachment = new aws.iam.RolePolicyAttachment(
    `${name}-policy`,
    { role: role.id, policyArn: ENHANCED_MONITORING_POLICY },
    { parent },
  );
  return { role, attachment };
}
