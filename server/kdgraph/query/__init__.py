"""The query path: request → protocol → safety → engine → serialise → response."""
