/* diff.c: placeholder until written */
