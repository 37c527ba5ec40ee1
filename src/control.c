/* control.c: placeholder */
