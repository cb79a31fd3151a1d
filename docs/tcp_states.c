/*
 * tcp_states.c - prints the TCP transition table (stack/proto/tcp_fsm.c)
 * as graphviz. `make docs` turns it into docs/tcp-states.svg; the test
 * tier checks that the committed docs/tcp-states.dot is what the code
 * says, so the diagram cannot drift from the state machine.
 */
#include <stdio.h>

#include "proto/tcp.h"

int
main(void)
{
    tcp_fsm_dot(stdout);
    return 0;
}
