/**
 * Imported first by infra/index.ts, for its effect: the SDK's closure tools are deferred before
 * anything loads `@pulumi/pulumi` (see defer-sdk-tools.ts).
 */
import { deferSdkTools } from "./defer-sdk-tools";

deferSdkTools();
