//! TODO(helper): dot
