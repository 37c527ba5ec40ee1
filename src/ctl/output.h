#ifndef CTL_output_H
#define CTL_output_H
#endif
