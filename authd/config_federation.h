/* Reading the configuration's federation: block (config_federation.c). */
#ifndef AUTHD_CONFIG_FEDERATION_H
#define AUTHD_CONFIG_FEDERATION_H

#include "yamlutil.h"

struct authd_federation_config;

/* The authd_yaml_field parser of `federation` (target: the struct authd_config). */
int authd_config_federation(struct authd_yaml *l, yaml_node_t *v, void *config);
void authd_config_federation_defaults(struct authd_federation_config *f);
void authd_config_federation_free(struct authd_federation_config *f);

#endif
