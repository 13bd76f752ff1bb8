/*
 * header_check.c - include/natsrs.h must compile cleanly as C11 and as C++17
 * (-Wall -Wextra -Werror -pedantic), survive being included twice in one
 * translation unit, and (in C++) declare its functions with C linkage: this
 * program links against libnatsrs and calls into it.
 */
#include <natsrs.h>
#include <natsrs.h> /* twice on purpose */

#include <stdio.h>

int main(void) {
  natsrs_status s = NATSRS_STATUS_OK;
  natsrs_connection_status cs = NATSRS_CONNECTION_STATUS_CLOSED;
  natsrs_statistics st = {0, 0, 0, 0, 0, 0};
  natsrs_msg_handler mh = NULL;
  natsrs_error_handler eh = NULL;
  (void)mh;
  (void)eh;
  (void)st;
  const char *v = natsrs_version();
  const char *text = natsrs_status_str(s);
  if (v == NULL || text == NULL || natsrs_connection_status_get(NULL) != cs) {
    puts("header check: unexpected result from the library");
    return 1;
  }
  printf("header check (%s): libnatsrs %s, status 0 = \"%s\"\n",
#ifdef __cplusplus
         "C++",
#else
         "C",
#endif
         v, text);
  return 0;
}
