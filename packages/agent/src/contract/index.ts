// The backend↔agent contract (docs/adr/0003-agent-contract.md): what a runner needs to start the
// agent and to understand what it says. Nothing here imports the agent's implementation, so a
// runner that only builds a Job spec loads no pg, AWS SDK or commander code.
export * from './argv';
export * from './env';
export * from './events';
export * from './exits';
