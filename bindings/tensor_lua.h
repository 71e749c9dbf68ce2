/* tensor_lua.h - how the tensor binding's files (tensor.c, tensor_math.c, tensor_io.c)
 * fit together. */
#ifndef RH_TENSOR_LUA_H
#define RH_TENSOR_LUA_H
#include "rh_lua.h"

/* A 1-based dim argument checked against t (negative counts from the end); 0-based result. */
int rhL_checkdim(lua_State *L, int arg, const rh_tensor *t);

/* Add methods/metamethods to the Tensor metatable on top of the stack. */
void tensor_math_register(lua_State *L);
void tensor_io_register(lua_State *L);
/* Add functions (rh.matmul, ...) to the rh table on top of the stack. */
void tensor_math_open(lua_State *L);
#endif
