//! Examples for the correo crates: see the `[[example]]` targets of this package
//! (`cargo run -p correo-examples --example NAME`).
