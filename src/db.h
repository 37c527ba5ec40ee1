/* db.h: placeholder, see issue 3 */
#ifndef MULTIDNS_DB_H
#define MULTIDNS_DB_H
#endif
