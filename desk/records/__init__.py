"""The children index: records, how they are searched, and what may be read back from them."""
