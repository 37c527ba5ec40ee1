#ifndef CTL_parser_H
#define CTL_parser_H
#endif
