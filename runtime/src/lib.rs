//! Translation-block cache, execution loop and guest memory
