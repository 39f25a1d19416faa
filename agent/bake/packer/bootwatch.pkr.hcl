# Bakes the bootwatch agent into an AMI and registers the AMI with the collector. Merge the build
# block's provisioners and post-processors into your own template; the source block is an
# example. docs/bake.md walks through it, with the EventBridge rule and the certificates the
# collector needs.
#
#   packer init agent/bake/packer
#   BOOTWATCH_ADMIN_TOKEN=... packer build \
#     -var image_version=2026.11.3 -var git_sha=$(git rev-parse HEAD) \
#     -var collector_url=https://bootwatch.example.com agent/bake/packer
#
# It runs from any folder: every file it reads is found from the template's own folder
# (path.root), and it builds the agent bundle itself (npm ci, npm run build in this checkout).

packer {
  required_version = ">= 1.10.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.3.0"
    }
  }
}

variable "image_version" {
  type        = string
  description = "The AMI version bootwatch reports (host.image.version), e.g. a date or semver."
  validation {
    condition     = length(var.image_version) > 0 && length(var.image_version) <= 128
    error_message = "The image_version must be 1 to 128 characters."
  }
}

variable "git_sha" {
  type        = string
  default     = ""
  description = "Commit the image is built from (git rev-parse HEAD); written to the image manifest and the registration."
  validation {
    condition     = can(regex("^([0-9a-fA-F]{7,64})?$", var.git_sha))
    error_message = "The git_sha must be 7 to 64 hexadecimal digits, or empty."
  }
}

variable "build_id" {
  type        = string
  default     = ""
  description = "Your pipeline's build id (e.g. CI_PIPELINE_ID); Packer's run id when empty."
}

variable "collector_url" {
  type        = string
  default     = "https://bootwatch.internal.example.com"
  description = "Collector base URL: the agent sends to <url>/v1/metrics, the AMI is registered at <url>/api/v1/images."
}

variable "agent_config" {
  type        = string
  default     = ""
  description = "YAML of /etc/bootwatch/agent.yaml (readiness probes...); only the collector URL when empty."
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

locals {
  # This file is agent/bake/packer/bootwatch.pkr.hcl of a bootwatch checkout.
  bake_dir   = abspath("${path.root}/..")
  repo_root  = abspath("${path.root}/../../..")
  image_name = "web-${var.image_version}"
  built_at   = timestamp()
  # JSON is YAML: the agent reads this as its configuration file.
  agent_config = var.agent_config != "" ? var.agent_config : jsonencode({ collector = { url = var.collector_url } })
}

source "amazon-ebs" "web" {
  region        = var.region
  instance_type = "t3.small"
  ssh_username  = "ec2-user"
  ami_name      = local.image_name
  source_ami_filter {
    filters = {
      name                = "al2023-ami-2023.*-x86_64"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }
  # The agent reads the version from the manifest first; the tag is the fallback it can read
  # through IMDS when instance metadata tags are enabled on the launch template.
  tags = {
    "bootwatch:ami-version" = var.image_version
  }
}

build {
  sources = ["source.amazon-ebs.web"]

  # The agent bundle (dist/bootwatch-agent.mjs), built on this machine from this checkout.
  provisioner "shell-local" {
    inline = [
      "cd '${local.repo_root}'",
      "test -d node_modules || npm ci --no-audit --no-fund",
      "npm run build",
    ]
  }

  provisioner "file" {
    source      = "${local.repo_root}/dist/bootwatch-agent.mjs"
    destination = "/tmp/bootwatch-agent.mjs"
    # Built by the step above, after Packer validated the template.
    generated = true
  }

  provisioner "file" {
    source      = "${local.bake_dir}/bootwatch-agent.service"
    destination = "/tmp/bootwatch-agent.service"
  }

  # The image manifest: the version is baked here, never guessed at boot.
  provisioner "file" {
    content = jsonencode(merge(
      {
        version    = var.image_version
        name       = local.image_name
        build_id   = var.build_id != "" ? var.build_id : build.PackerRunUUID
        built_at   = local.built_at
        source_ami = build.SourceAMI
      },
      var.git_sha != "" ? { git_sha = var.git_sha } : {},
    ))
    destination = "/tmp/bootwatch-image.json"
  }

  provisioner "file" {
    content     = local.agent_config
    destination = "/tmp/bootwatch-agent.yaml"
  }

  provisioner "shell" {
    execute_command = "sudo -E sh -eu '{{ .Path }}'"
    inline = [
      # Node.js 20 or later runs the bundle; install it from the distribution if the base lacks it.
      "if ! command -v node >/dev/null; then dnf install -y nodejs20 && ln -sf /usr/bin/node-20 /usr/bin/node; fi",
      "node -e 'process.exit(Number(process.versions.node.split(\".\")[0]) >= 20 ? 0 : 1)'",
      "install -D -m 0644 /tmp/bootwatch-agent.mjs /opt/bootwatch/bootwatch-agent.mjs",
      "install -D -m 0644 /tmp/bootwatch-agent.service /etc/systemd/system/bootwatch-agent.service",
      "install -D -m 0644 /tmp/bootwatch-image.json /etc/bootwatch/image.json",
      "install -D -m 0644 /tmp/bootwatch-agent.yaml /etc/bootwatch/agent.yaml",
      # No secret is baked: the agent proves who it is with the signed instance identity document.
      # An empty spool means every instance launched from this image starts with a first boot.
      "rm -rf /var/lib/bootwatch",
      "systemctl daemon-reload",
      "systemctl enable bootwatch-agent.service",
    ]
  }

  # Register the AMI (every region it was copied to) with the collector, so that launches that
  # never report are still charged to this version. BOOTWATCH_ADMIN_TOKEN comes from the
  # pipeline's secret store through Packer's environment, never from the image.
  post-processor "manifest" {
    output = "packer-manifest.json"
    custom_data = {
      image_version   = var.image_version
      image_name      = local.image_name
      git_sha         = var.git_sha
      built_at        = local.built_at
      build_id        = var.build_id != "" ? var.build_id : build.PackerRunUUID
      source_ami      = build.SourceAMI
      source_ami_name = build.SourceAMIName
    }
  }

  post-processor "shell-local" {
    environment_vars = ["COLLECTOR_URL=${var.collector_url}"]
    inline           = ["node '${path.root}/register-image.mjs' packer-manifest.json"]
  }

  # Scan the new AMI and submit the report (issue 13): a step of your pipeline, commented out
  # because the scanner is not part of bootwatch. `trivy vm` reads the AMI's snapshot through the
  # EBS direct APIs (the build role needs ec2:DescribeImages, ebs:ListSnapshotBlocks and
  # ebs:GetSnapshotBlock); Grype scans a filesystem instead (grype dir:/ -o json, run on the
  # build instance before the AMI is taken). bootwatch scan submit sends the report as the
  # scanner wrote it to POST /api/v1/images/<ami-id>/scans with the admin token.
  #
  # post-processor "shell-local" {
  #   environment_vars = ["BOOTWATCH_URL=${var.collector_url}", "AWS_REGION=${var.region}"]
  #   inline = [
  #     "node '${path.root}/register-image.mjs' --list packer-manifest.json | while read -r region ami; do",
  #     "  AWS_REGION=$region trivy vm --scanners vuln --format json --output \"trivy-$ami.json\" \"ami:$ami\"",
  #     "  node '${local.repo_root}/bin/bootwatch.mjs' scan submit --ami \"$ami\" \"trivy-$ami.json\"",
  #     "done",
  #   ]
  # }
}
