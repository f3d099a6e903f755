//! TODO(helper): sasl
