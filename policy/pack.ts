/**
 * The strategy as a CrossGuard policy pack: each rule of ./rules registered twice, as a mandatory
 * policy `<rule>` that reports on the environments where the rule is mandatory, and an advisory one
 * `<rule>-advisory` for the others (CrossGuard's enforcement level is fixed per policy; the
 * environment is the stack's config's, `precog:environment`, which the program writes into every
 * resource's name, `precog-<environment>-…`: a stack `prod-eu` set to prod is prod).
 *
 *   pulumi preview --stack <env> --policy-pack policy
 */
import {
  PolicyPack,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { keepSecretMarkers, splitSecrets } from "./keep-secrets";
import { type Context, environmentOf, type Level, type Rule, type StackResource } from "./resources";
import { RULES } from "./rules";

const DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS = 7;

interface PackConfig {
  minimumBackupRetentionDays?: number;
}

function normalize(
  r: { type: string; name: string; props: unknown; opts: { protect?: boolean } },
  dependencies: readonly string[],
): StackResource {
  const { plain, secretPaths } = splitSecrets(r.props);
  return { type: r.type, name: r.name, props: plain, secretPaths, protect: r.opts.protect === true, dependencies };
}

function context(name: string, urn: string, config: PackConfig): Context {
  return {
    environment: environmentOf(name, urn),
    minimumBackupRetentionDays: config.minimumBackupRetentionDays ?? DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS,
  };
}

const configSchema = {
  properties: {
    minimumBackupRetentionDays: {
      type: "integer" as const,
      minimum: 1,
      maximum: 35,
      default: DEFAULT_MINIMUM_BACKUP_RETENTION_DAYS,
    },
  },
};

function policy(rule: Rule, level: Level): ResourceValidationPolicy | StackValidationPolicy {
  const name = level === "mandatory" ? rule.name : `${rule.name}-advisory`;
  const description = level === "mandatory" ? rule.description : `${rule.description} (advisory on this environment)`;
  const report = (
    resources: readonly StackResource[],
    ctx: Context,
    reportViolation: ReportViolation,
    urnOf: (name: string) => string | undefined,
  ) => {
    if (rule.level(ctx.environment) !== level) return;
    for (const v of rule.check(resources, ctx)) reportViolation(`${v.resource}: ${v.message}`, urnOf(v.resource));
  };
  if (rule.scope === "resource") {
    return {
      name,
      description,
      enforcementLevel: level,
      configSchema,
      validateResource: (args, reportViolation) => {
        report(
          [normalize(args, [])],
          context(args.name, args.urn, args.getConfig<PackConfig>()),
          reportViolation,
          () => undefined,
        );
      },
    };
  }
  return {
    name,
    description,
    enforcementLevel: level,
    configSchema,
    validateStack: (args, reportViolation) => {
      if (args.resources.length === 0) return;
      const resources = args.resources.map((r: PolicyResource) =>
        normalize(
          r,
          r.dependencies.map((d) => d.name),
        ),
      );
      // Names are not unique (the stack and the environment component are both precog-<env>): the first wins.
      const urns = new Map<string, string>();
      for (const r of args.resources) if (!urns.has(r.name)) urns.set(r.name, r.urn);
      // The environment component's name is precog-<environment>, from the stack's config.
      const named = args.resources.find((r) => r.type === "precog:environment:PrecogEnvironment") ?? args.resources[0];
      report(resources, context(named.name, named.urn, args.getConfig<PackConfig>()), reportViolation, (n) =>
        urns.get(n),
      );
    },
  };
}

keepSecretMarkers();

new PolicyPack("precog-strategy", {
  policies: RULES.flatMap((rule) => [policy(rule, "mandatory"), policy(rule, "advisory")]),
});
