"""The messaging core: text and segments, numbers and operators, prices and quotes."""
