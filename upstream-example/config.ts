import { z } from 'zod';

/** The demo app's own environment: where it listens and where its users live. */
export const exampleConfig = z.object({
  EXAMPLE_HOST: z.string().default('127.0.0.1'),
  EXAMPLE_PORT: z.coerce.number().int().min(1).max(65535).default(5000),
  USERS_FILE: z.string().min(1).default('upstream-example/users.json'),
});

export type ExampleConfig = z.infer<typeof exampleConfig>;
