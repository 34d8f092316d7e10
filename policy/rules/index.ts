/** Every rule of the strategy, in the order the pack registers them. */
import type { Rule } from "../resources";
import { backupsOutliveTheStack, proxyOwnSecurityGroup, secretReadersDecrypt } from "./aws";
import { prodBackupsCopied } from "./backups";
import { prodDataProtected } from "./data";
import { iamDatabaseLogins } from "./iam-logins";
import { migrationsAfterRoles } from "./migrations";
import { rdsInstanceSafe, rdsMasterPassword, rdsTlsAndAudit } from "./rds";
import { stagingRehearsesProd } from "./rehearsal";
import { restoreKeepsIdentifier } from "./restore";
import { appRolesOwnNothing, databaseOwnerUnreachable, loginRolesLimited, publicRevoked } from "./roles";
import { noPlainPasswords, secretsRotate } from "./secrets";

export const RULES: readonly Rule[] = [
  prodDataProtected,
  loginRolesLimited,
  appRolesOwnNothing,
  databaseOwnerUnreachable,
  publicRevoked,
  noPlainPasswords,
  rdsInstanceSafe,
  rdsTlsAndAudit,
  rdsMasterPassword,
  secretsRotate,
  migrationsAfterRoles,
  secretReadersDecrypt,
  proxyOwnSecurityGroup,
  backupsOutliveTheStack,
  iamDatabaseLogins,
  restoreKeepsIdentifier,
  prodBackupsCopied,
  stagingRehearsesProd,
];
