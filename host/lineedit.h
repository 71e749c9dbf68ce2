/* lineedit.h - the prompt's line reader: GNU readline (editing, history, completion of
 * global names and their fields) when the program was built with it and stdin is a
 * terminal, else plain lines from stdin, as lua.c does with LUA_USE_READLINE. */
#ifndef RH_LINEEDIT_H
#define RH_LINEEDIT_H
#include <lua.h>

/* Prepares the reader for state L (completion reads L's globals); tty: stdin is a terminal. */
void rh_lineedit_init(lua_State *L, int tty);
/* The next line without its newline, malloc()ed (the caller frees it); NULL at end of input. */
char *rh_lineedit_read(const char *prompt);
/* Remembers a (non-empty) entered line in the history. */
void rh_lineedit_remember(const char *line);
/* 1 when lines are read through readline. */
int rh_lineedit_readline(void);
#endif
