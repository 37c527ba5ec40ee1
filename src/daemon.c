/* daemon.c: placeholder */
