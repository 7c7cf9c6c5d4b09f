mod code_flow;
mod interop;
mod keys;
mod resources;
mod token;
