#!/bin/sh
# Entrypoint of the single-user image on Kubernetes: give this pod's uid a name.
#
# Each user's pod runs as the uid deploy/kubernetes/course_users.py gives them (so that
# the exchange can tell students' submissions apart), which /etc/passwd of the image
# does not know. nbgrader names a submission after the name of the process's uid
# (nbgrader.utils.get_username), and fails without one. nss_wrapper (Debian
# libnss-wrapper) adds the entry for this process and its children only: /etc/passwd
# stays read-only, and the pod never runs as root.
set -eu
uid=$(id -u)
if ! getent passwd "$uid" >/dev/null; then
    name=${JUPYTERHUB_USER:?"JUPYTERHUB_USER is not set: this image is started by JupyterHub"}
    folder=$(mktemp -d)
    cp /etc/passwd "$folder/passwd"
    printf '%s:x:%s:%s:%s:%s:/bin/bash\n' "$name" "$uid" "$(id -g)" "$name" "$HOME" >>"$folder/passwd"
    export NSS_WRAPPER_PASSWD="$folder/passwd" NSS_WRAPPER_GROUP=/etc/group
    export LD_PRELOAD=libnss_wrapper.so
fi
exec "$@"
