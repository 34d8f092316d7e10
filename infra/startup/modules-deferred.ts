/**
 * Imported first by infra/index.ts, for its effect: the modules of
 * defer-modules.ts are deferred before anything loads `@pulumi/pulumi`.
 */
import { deferModules } from "./defer-modules";

deferModules();
