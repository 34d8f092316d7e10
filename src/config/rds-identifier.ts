/**
 * The RDS instance identifier of an aws stack, `precog-<environment>`: fixed, so its address, its
 * log groups' names and the key policy's condition on them are known before it exists, and stay the
 * same across a restore (the restored instance takes the same identifier). The program names the
 * instance with it; the config check refuses a restore from it.
 */
export function instanceIdentifier(environment: string): string {
  return `precog-${environment}`;
}

/** The read replicas' identifiers (precog:rds.replicas): precog-<environment>-replica-1, -2, … */
export function replicaIdentifiers(environment: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${instanceIdentifier(environment)}-replica-${i + 1}`);
}
