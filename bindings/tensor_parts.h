/* tensor_parts.h - what tensor.c (the Tensor userdata: rhb_open_tensor) takes from the
 * two files that hold the rest of the Tensor's methods: tensor_math.c (arithmetic,
 * reductions, matrix products) and tensor_io.c (tostring, totable). The dependency is
 * one-way: tensor.c calls these; tensor_math.c and tensor_io.c need only rh_lua.h. */
#ifndef RH_TENSOR_PARTS_H
#define RH_TENSOR_PARTS_H
#include <lua.h>

/* Add methods and metamethods to the Tensor metatable on top of the stack. */
void tensor_math_register(lua_State *L);
void tensor_io_register(lua_State *L);
/* Add functions (rh.matmul, rh.addmm) to the rh table on top of the stack. */
void tensor_math_open(lua_State *L);
#endif
