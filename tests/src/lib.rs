//! Test support: real HTTP servers on 127.0.0.1 with ephemeral ports.

pub mod fastapi;
pub mod faults;
pub mod features;
pub mod fixtures;
pub mod memory;
pub mod prism;
pub mod process;
pub mod server;
pub mod tls;
