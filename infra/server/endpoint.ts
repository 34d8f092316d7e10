/**
 * ServerEndpoint: what the rest of the program needs to know about "where the server is",
 * whichever kind provides it. The local and RDS modules produce one; the database component and
 * the outputs consume it.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface ServerEndpoint {
  /** Address applications connect to. */
  readonly host: pulumi.Input<string>;
  readonly port: pulumi.Input<number>;
  /** Address the provisioning connection uses (a tunnel, for example); usually `host`. */
  readonly adminHost: pulumi.Input<string>;
  /** How the provisioning connection (the stack's postgresql provider) logs in. */
  readonly admin: AdminLogin;
  readonly sslMode: string;
  /** Absolute path of the PEM root certificates `sslMode` verify-full checks the server against; undefined: none. */
  readonly sslRootCert?: string;
  /** False on RDS, whose master user is not a superuser; the provider adapts its SQL to it. */
  readonly superuser: boolean;
  /** Resources the provisioning connection must wait for (the RDS instance). */
  readonly dependsOn: readonly pulumi.Resource[];
}

/**
 * The provisioning login: a local server's superuser with its password (always a Pulumi secret),
 * or on RDS the deployer (src/env/roles.ts DEPLOYER_LOGIN) by IAM database authentication, a token
 * the provider signs in `region` with the deploying credentials: no password in state or preview.
 */
export type AdminLogin =
  | { readonly kind: "password"; readonly user: pulumi.Input<string>; readonly password: pulumi.Output<string> }
  | { readonly kind: "aws-iam"; readonly user: string; readonly region: string };
