//! TODO(helper): xtext
