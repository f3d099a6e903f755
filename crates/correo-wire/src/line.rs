//! TODO(helper): line
