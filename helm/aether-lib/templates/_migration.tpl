{{/*
Database migrations of a PostgreSQL service, run before the new pods (pre-install and
pre-upgrade hook) with the service's own image and MIGRATE_ONLY=true: the service kit applies
the TypeORM migrations and exits 0.
Hooks run before the release's ordinary objects exist on a first install, so the Job carries its
environment inline (not through the ConfigMap) and has its own hook ServiceAccount (same
annotations as the service's: IRSA / Workload Identity), created just before it and removed
after a successful run. A failed Job is kept for `kubectl logs`; the next upgrade replaces it.
*/}}
{{- define "aether-lib.migrationJob" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- $g := $root.Values.global -}}
{{- $fullname := include "aether-lib.fullname" (list $root .name) -}}
{{- $secretEnv := include "aether-lib.secretEnv" . -}}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ $fullname }}-migrate
  labels:
    {{- include "aether-lib.labels" (list $root .name) | nindent 4 }}
    app.kubernetes.io/component: migration
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-10"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    {{- with $svc.serviceAccount.annotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
automountServiceAccountToken: false
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $fullname }}-migrate
  labels:
    {{- include "aether-lib.labels" (list $root .name) | nindent 4 }}
    app.kubernetes.io/component: migration
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "0"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: {{ $svc.migrations.backoffLimit }}
  activeDeadlineSeconds: {{ $svc.migrations.activeDeadlineSeconds }}
  template:
    metadata:
      labels:
        {{- include "aether-lib.labels" (list $root .name) | nindent 8 }}
        app.kubernetes.io/component: migration
    spec:
      restartPolicy: Never
      serviceAccountName: {{ $fullname }}-migrate
      automountServiceAccountToken: false
      enableServiceLinks: false
      securityContext:
        {{- include "aether-lib.podSecurityContext" . | nindent 8 }}
      {{- with $g.imagePullSecrets }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $svc.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $svc.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: migrate
          image: {{ include "aether-lib.image" . | quote }}
          imagePullPolicy: {{ ($svc.image | default dict).pullPolicy | default $g.image.pullPolicy }}
          env:
            - name: MIGRATE_ONLY
              value: "true"
            {{- range $k, $v := include "aether-lib.envMap" . | fromJson }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
            {{- with $secretEnv }}
            {{- . | trim | nindent 12 }}
            {{- end }}
          resources:
            {{- toYaml $svc.resources | nindent 12 }}
          securityContext:
            {{- include "aether-lib.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $svc.tmpSizeLimit }}
{{- end -}}
