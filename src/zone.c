/* zone.c: placeholder until written */
