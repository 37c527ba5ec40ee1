/* store.c: placeholder until written */
